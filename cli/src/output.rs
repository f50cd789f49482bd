//! Where the commands write, checked before any work: a directory that can be written, a file
//! racecheck may replace. Nothing a user wrote, and no input, is ever overwritten.

use std::fs::{self, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// The first line of every markdown file `racecheck report` writes: what it may replace.
pub(crate) const MARKDOWN_MARK: &str = "<!-- racecheck report:";
/// The tag every HTML timeline carries near its top: what `racecheck report` may replace.
pub(crate) const HTML_MARK: &str = "<meta name=\"generator\" content=\"racecheck\">";

/// Create `dir` (and its parents) and check that a file can be created in it.
pub(crate) fn writable_dir(what: &str, dir: &Path) -> Result<(), String> {
    if dir.exists() && !dir.is_dir() {
        return Err(format!(
            "{what} {}: it is a file, not a directory",
            dir.display()
        ));
    }
    fs::create_dir_all(dir)
        .map_err(|e| format!("{what} {}: cannot create it: {e}", dir.display()))?;
    let probe = dir.join(format!(".racecheck-write-check-{}", std::process::id()));
    match OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            let _ = fs::remove_file(&probe);
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(format!("{what} {}: cannot write in it: {e}", dir.display())),
    }
}

/// `check --report DIR`: a directory that holds no report yet, created and writable.
pub(crate) fn fresh_report_dir(dir: &Path) -> Result<(), String> {
    for name in ["summary.md", "summary.json"] {
        if dir.join(name).exists() {
            return Err(format!(
                "--report {} already holds a report ({name}); give a new directory",
                dir.display()
            ));
        }
    }
    writable_dir("--report", dir)?;
    writable_dir("--report", &dir.join("races"))
}

/// The directory of a file to be written beside it.
pub(crate) fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `bench --out FILE`: a file that can be read and written (it keeps all but its generated
/// section), or a new one in a writable directory.
pub(crate) fn section_file(path: &Path) -> Result<(), String> {
    if path.is_dir() {
        return Err(format!(
            "--out {}: it is a directory; give a markdown file",
            path.display()
        ));
    }
    if path.exists() {
        fs::read_to_string(path)
            .map_err(|e| format!("--out {}: cannot read it: {e}", path.display()))?;
        OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| format!("--out {}: cannot write it: {e}", path.display()))?;
        return Ok(());
    }
    writable_dir("--out", &parent_of(path))
}

/// `report FILE --out DIR` may write `target`: it is new, or a file `racecheck report` wrote
/// (it starts with the mark), and not the input itself.
pub(crate) fn replaceable(target: &Path, input: &Path) -> Result<bool, String> {
    if !target.exists() {
        return Ok(false);
    }
    let same = match (fs::canonicalize(target), fs::canonicalize(input)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(format!(
            "{} would be overwritten, and it is the race file being drawn: give another --out",
            target.display()
        ));
    }
    let ours = fs::read(target).is_ok_and(|bytes| {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).into_owned();
        head.starts_with(MARKDOWN_MARK) || head.contains(HTML_MARK)
    });
    if !ours {
        return Err(format!(
            "{} exists and racecheck did not write it: give another --out, or move it",
            target.display()
        ));
    }
    Ok(true)
}

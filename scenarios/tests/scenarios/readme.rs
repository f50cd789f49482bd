//! The README's sample outputs are what the binary prints: each ```text block that starts with
//! `$ racecheck check …` or `$ racecheck reproduce …` is run, and its lines compared with the
//! real output, so the README cannot drift from the tool.

use std::path::Path;
use std::process::Command;

/// Every sample: the command's arguments and the lines the README shows after it.
fn samples(readme: &str) -> Vec<(Vec<String>, Vec<String>)> {
    readme
        .split("```text\n")
        .skip(1)
        .filter_map(|block| {
            let block = block.split("```").next()?;
            let mut lines = block.lines();
            let command = lines.next()?.strip_prefix("$ racecheck ")?;
            let args = command.split_whitespace().map(str::to_string).collect();
            Some((args, lines.map(str::to_string).collect()))
        })
        .collect()
}

/// Wall-clock seconds (`0.13 s`) differ from run to run: they read as `N s`.
fn without_wall_times(line: &str) -> String {
    let mut out = String::new();
    for word in line.split(' ') {
        let number = word.split_once('.').is_some_and(|(a, b)| {
            !a.is_empty()
                && a.chars().all(|c| c.is_ascii_digit())
                && b.len() == 2
                && b.chars().all(|c| c.is_ascii_digit())
        });
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(if number { "N" } else { word });
    }
    out
}

#[test]
fn the_readme_sample_outputs_are_what_racecheck_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let samples = samples(&readme);
    let ran: Vec<&str> = samples.iter().map(|(a, _)| a[0].as_str()).collect();
    assert!(
        ran.contains(&"check") && ran.contains(&"reproduce"),
        "{ran:?}"
    );
    for (args, shown) in &samples {
        let dir = tempfile::tempdir().unwrap();
        let out_dir = dir.path().to_str().unwrap();
        // The README's directory for this command's files, and the flag that moves them.
        let (readme_dir, flag) = match args[0].as_str() {
            "check" => ("reports/latest", "--report"),
            "reproduce" => ("reports/reproduced", "--out"),
            other => panic!("a README sample runs `racecheck {other}`: teach this test"),
        };
        let out = Command::new(env!("CARGO_BIN_EXE_racecheck"))
            .current_dir(root)
            .args(args)
            .args([flag, out_dir])
            .output()
            .expect("run racecheck");
        let stdout = String::from_utf8_lossy(&out.stdout).replace(out_dir, readme_dir);
        let real: Vec<String> = stdout.lines().map(without_wall_times).collect();
        let shown: Vec<String> = shown.iter().map(|l| without_wall_times(l)).collect();
        assert_eq!(real, shown, "`racecheck {}`", args.join(" "));
    }
}

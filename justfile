# racecheck recipes. `just` lists them.

default:
    @just --list

# Check every scenario with every backend and write reports/latest/ (summary + race files).
check *ARGS:
    cargo run --release -p racecheck-scenarios --bin racecheck -- check {{ARGS}}

# The test suite CI runs: every scenario's expected outcome, the committed races, the CLI.
test:
    cargo test --workspace

# Long exhaustive runs, not part of the default suite.
test-long:
    cargo test --workspace --release -- --ignored

# Benchmarks: criterion (facade cost, executions/s per backend, SQLite leases), then the
# bug-finding table, written into reports/BENCHMARKS.md between its marker comments.
bench *ARGS:
    cargo bench -p racecheck-scenarios
    cargo run --release -p racecheck-scenarios --bin racecheck -- bench {{ARGS}}

# The demo suite's table (reorder_N, twostage_N, …; ~9 min), its own section of reports/BENCHMARKS.md.
bench-demo:
    cargo run --release -p racecheck-scenarios --bin racecheck -- bench --demo --seeds 20 --cap 1000 --time-cap 5

# Replay one race file.
replay FILE:
    cargo run --release -p racecheck-scenarios --bin racecheck -- replay {{FILE}}

# Draw a race file's timeline (HTML + Mermaid markdown) into reports/timelines/.
report FILE:
    cargo run --release -p racecheck-scenarios --bin racecheck -- report {{FILE}}

# Shrink a race file: writes NAME.shrunk.race beside it.
shrink FILE:
    cargo run --release -p racecheck-scenarios --bin racecheck -- shrink {{FILE}}

# Reproduce a production log, e.g. `just reproduce scenarios/logs/seed-000-lambda.log lock_manager lock`.
reproduce LOG SCENARIO VARIANT:
    cargo run --release -p racecheck-scenarios --bin racecheck -- reproduce {{LOG}} --scenario {{SCENARIO}} --variant {{VARIANT}}

# List scenarios and variants.
list:
    cargo run --release -p racecheck-scenarios --bin racecheck -- list

lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

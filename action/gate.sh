#!/usr/bin/env bash
# The gate step of action.yml. Inputs arrive as INPUT_* environment variables (never
# interpolated into the script, so no input can inject shell). Writes the JSON, SARIF and
# Markdown reports and the HTML dashboard under $RUNNER_TEMP/aigov, prints annotations, appends the summary to
# $GITHUB_STEP_SUMMARY, sets the step outputs, and exits with the gate's exit code.
set -euo pipefail

aigov="${AIGOV:-aigov}"
python="${AIGOV_PYTHON:-python3}"
out="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/aigov"
repo="${INPUT_REPO:-.}"
stage="${INPUT_STAGE:-merge}"
mkdir -p "$out"
rm -f "$out/report.json" "$out/aigov.sarif" "$out/summary.md" "$out/dashboard.html"

args=(gate --repo "$repo" --stage "$stage" --format github
  --output "json=$out/report.json" --output "sarif=$out/aigov.sarif"
  --output "markdown=$out/summary.md" --output "html=$out/dashboard.html")
[[ -n "${INPUT_ENVIRONMENT:-}" ]] && args+=(--environment "$INPUT_ENVIRONMENT")
[[ -n "${INPUT_MODEL:-}" ]] && args+=(--model "$INPUT_MODEL")
[[ -n "${INPUT_FAIL_ON:-}" ]] && args+=(--fail-on "$INPUT_FAIL_ON")
[[ -n "${INPUT_CONFIG:-}" ]] && args+=(--config "$INPUT_CONFIG")

# The pull request's base branch (pull_request and pull_request_review events alike),
# fetched when the checkout does not have it, so the report leads with what changed.
base="${INPUT_BASE:-}"
if [[ -z "$base" && "$stage" == merge && -n "${GITHUB_EVENT_PATH:-}" ]]; then
  base_ref="$("$python" -c 'import json, os, sys
event = json.load(open(os.environ["GITHUB_EVENT_PATH"], encoding="utf-8"))
sys.stdout.write(((event.get("pull_request") or {}).get("base") or {}).get("ref", ""))')"
  if [[ -n "$base_ref" ]]; then
    base="origin/$base_ref"
    if ! git -C "$repo" rev-parse --verify --quiet "$base^{commit}" > /dev/null; then
      git -C "$repo" fetch --no-tags --quiet --depth=1 origin \
        "+refs/heads/$base_ref:refs/remotes/origin/$base_ref" || base=""
    fi
  fi
fi
[[ -n "$base" ]] && args+=(--base "$base")

if [[ -n "${INPUT_EXTRA_ARGS:-}" ]]; then
  read -r -a extra <<< "$INPUT_EXTRA_ARGS"
  args+=("${extra[@]}")
fi

set +e
"$aigov" "${args[@]}" 2> "$out/stderr.txt"
code=$?
set -e
cat "$out/stderr.txt" >&2

if [[ -f "$out/summary.md" && -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
  cat "$out/summary.md" >> "$GITHUB_STEP_SUMMARY"
fi
# The gate could not run (2: usage or configuration, 3: internal): no report, so say why
# where GitHub shows it, an annotation and the step summary, not only in the log.
if [[ "$code" -ne 0 && "$code" -ne 1 && ! -f "$out/report.json" ]]; then
  why="$(cat "$out/stderr.txt")"
  [[ -n "$why" ]] || why="aigov exited $code without a message"
  shown="${why//'%'/'%25'}"
  shown="${shown//$'\r'/'%0D'}"
  shown="${shown//$'\n'/'%0A'}"
  echo "::error title=aigov gate could not run (exit $code)::$shown"
  if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
    {
      echo "## ⚠️ aigov gate could not run (exit $code)"
      echo
      echo '```'
      echo "$why"
      echo '```'
      echo
      if [[ "$code" -eq 2 ]]; then
        echo "Exit 2 is a usage or configuration error: fix what the message names and run again."
      else
        echo "Exit $code is not a decision: the gate did not decide (exit 3 is a bug; please report it)."
      fi
    } >> "$GITHUB_STEP_SUMMARY"
  fi
fi
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
  if [[ -f "$out/report.json" ]]; then
    "$python" - "$out" >> "$GITHUB_OUTPUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
report = json.loads((out / "report.json").read_text(encoding="utf-8"))
summary = report["summary"]
print(f"decision={report['decision']}")
print(f"blocking={summary['blocking']}")
print(f"findings={summary['findings']}")
print(f"waived={summary['waived']}")
print(f"report-json={out / 'report.json'}")
print(f"sarif={out / 'aigov.sarif'}")
print(f"summary={out / 'summary.md'}")
print(f"dashboard={out / 'dashboard.html'}")
PY
  else
    echo "decision=error" >> "$GITHUB_OUTPUT"
  fi
fi
exit "$code"

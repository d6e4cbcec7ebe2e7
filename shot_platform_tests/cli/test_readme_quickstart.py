"""The README's quickstart, run as written (bash, the blocks in order) on synthetic files laid out where it
expects the real ones, so the guide cannot drift from the commands. Ports are swapped for free ones."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from shot_platform.free_throws.scores_api.process import free_port
from shot_platform.free_throws.synthetic import generate_free_throws, write_free_throws
from shot_platform.shots.synthetic import generate_shots, write_shots

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MAX_README_LINES = 300


def quickstart_blocks(text: str) -> list[str]:
    """The bash blocks of the section "Quickstart on real data", in order."""
    section = text.split("## Quickstart on real data", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)


def test_the_readme_is_a_short_guide_with_a_quickstart() -> None:
    text = README.read_text()
    assert len(text.splitlines()) <= MAX_README_LINES
    blocks = quickstart_blocks(text)
    assert len(blocks) >= 4 and "ingest free-throws" in blocks[1] and "serve --port" in blocks[-1]


@pytest.mark.slow
def test_the_readme_quickstart_runs_as_written(tmp_path: Path) -> None:
    repo, data = tmp_path / "repo", tmp_path / "shared" / "data"
    (repo / ".venv" / "bin").mkdir(parents=True)
    data.mkdir(parents=True)
    # `. .venv/bin/activate` puts this environment's commands first
    (repo / ".venv" / "bin" / "activate").write_text(f'export PATH="{Path(sys.executable).parent}:$PATH"\n')
    frame = generate_free_throws(seasons=4, first_season=2010, regular_games=40, playoff_games=2, seed=8)
    write_free_throws(frame, data / "free_throws_2006-07_2013-14.csv.gz")
    write_shots(generate_shots(games=60, seed=7), data / "shot_logs_2014-10_2015-01.csv.gz")

    script = "\n".join(quickstart_blocks(README.read_text()))
    for port in ("5100", "5000"):
        assert port in script
        script = script.replace(port, str(free_port()))
    prelude = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\n"
    env = {key: value for key, value in os.environ.items() if not key.startswith("SHOT_PLATFORM_")}
    env |= {
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "SHOT_PLATFORM_RETRAIN_MIN_NEW_LABELS": "1000000",  # no retraining between the few synthetic seasons
    }
    (tmp_path / "dagster").mkdir()
    result = subprocess.run(["bash", "-c", prelude + script], cwd=repo, env=env, capture_output=True, text=True,
                            timeout=1800)  # fmt: skip
    shown = f"{result.stdout[-3000:]}\n--- stderr ---\n{result.stderr[-5000:]}"
    assert result.returncode == 0, shown
    assert "caught up" in result.stdout, shown
    assert len(pd.read_parquet(repo / "now.parquet")) > 0
    assert pd.read_csv(repo / "scored.csv")["make_probability"].between(0, 1).all()
    assert '"make_probability"' in result.stdout and '"predictions"' in result.stdout, shown

"""The README stays true: its commands exist and every setting is documented."""

from __future__ import annotations

import re

from sparklytics.config import SETTINGS
from tests.harness import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()


def test_every_setting_is_in_the_readme_table() -> None:
    documented = set(re.findall(r"^\| `(SPARKLYTICS_[A-Z0-9_]+)` \|", README, flags=re.MULTILINE))
    assert documented == {setting.name for setting in SETTINGS}


def test_the_readme_opens_with_the_two_commands_and_ci_runs_the_test_one() -> None:
    commands = re.findall(r"```sh\n(.+?)\n```", README)
    assert commands[:2] == ["bash scripts/serve.sh", "bash scripts/test.sh"]
    assert (REPO_ROOT / "scripts" / "serve.sh").exists()
    assert "bash scripts/test.sh" in (REPO_ROOT / ".ci" / "run").read_text()

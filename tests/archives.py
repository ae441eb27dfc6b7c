"""Small archive files written by tests."""

import json
from pathlib import Path


def write_jsonl(path: Path, articles: list[dict]) -> Path:
    """A JSON Lines source holding `articles` (dicts with the Article fields)."""
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    return path

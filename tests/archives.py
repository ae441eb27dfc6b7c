"""Small archive files written by tests."""

import json
import random
from pathlib import Path

SEED = Path(__file__).parent / "fixtures" / "seed.txt"


def write_jsonl(path: Path, articles: list[dict]) -> Path:
    """A JSON Lines source holding `articles` (dicts with the Article fields)."""
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    return path


def sentences() -> list[str]:
    """The seed archive's sentences (those of more than 30 characters)."""
    return [s.strip() for s in SEED.read_text(encoding="utf-8").replace("\n", " ").split(".") if len(s) > 30]


def articles(n: int, seed: int = 7, prefix: str = "a") -> list[dict]:
    """n distinct French articles made of the seed's sentences, shuffled with a fixed seed."""
    sentences_ = sentences()
    rng = random.Random(seed)
    out = []
    for i in range(n):
        body = ". ".join(rng.sample(sentences_, 12)) + "."
        out.append({"id": f"{prefix}{i}", "title": f"Article {i} : {rng.choice(sentences_)[:60]}",
                    "body": body, "date": f"20{10 + i % 10}-0{1 + i % 9}-1{i % 10}",
                    "tags": [rng.choice(["Cloud", "Data", "Réseaux sociaux", "Emploi"])], "author": "Rédaction"})
    return out

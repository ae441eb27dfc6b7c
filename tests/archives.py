"""Small archive files written by tests."""

import json
import random
from pathlib import Path

SEED = Path(__file__).parent / "fixtures" / "seed.txt"
NBSP = "\u00a0"

# The seed's ten titles in order, exactly as written (no-break spaces included): an article's
# text is the slice between its title and the next; the sample export uses them as they are.
SEED_TITLES = [
    f"Culture numérique et business : la Chambre des Métiers de Paris a lancé son Colloque{NBSP}!",
    f"La maturité (numérique) viendra à tous{NBSP}!",
    "OVH. What ?",
    f"Les métiers du digital : Ne soyez pas le marteau, pour lequel tout ressemble à un{NBSP}clou..",
    f"Les enjeux de la data. Un livre incontournable pour comprendre ! Et du name dropping{NBSP}:-)",
    f"Sommes-nous tous «{NBSP}digital{NBSP}» ?",
    f"Passionnant et.. effarant{NBSP}!",
    "Influence ?",
    f"Comment l’entreprise peut-elle intégrer le numérique ? Des pistes{NBSP}!",
    f"Commentaire avisé, et gratifiant, d’un inconnu{NBSP} 😉",
]


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

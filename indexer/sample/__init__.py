"""The sample archive bundled with the package: ten articles of a French blog on digital culture."""

from pathlib import Path

SAMPLE_ARCHIVE = str(Path(__file__).with_name("archive.xml"))

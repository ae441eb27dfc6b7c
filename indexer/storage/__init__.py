"""The index on disk: generations and their publication, shards and segments with their posting
arrays and columns, the lexicon, and the reading side that serves them (store.py).

The search (indexer/search/) reads storage; storage never imports the search or the build."""

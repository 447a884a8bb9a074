"""Cross-references to standard terminologies: the SSSOM table and offline look-ups.

``sssom`` (read, check and convert the mapping table), ``terminology`` (HP, MeSH and
ICD-10-CM from the packages that ship them).
"""

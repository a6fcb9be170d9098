"""Searching the union catalogue.

``analysis`` turns titles, names, ISBNs, call numbers and queries into index terms the same way
for every search backend: Chinese word segmentation plus character bigrams, pinyin syllables,
joined pinyin and initials, traditional → simplified and full-width → half-width folding.
"""

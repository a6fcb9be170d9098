"""The union catalogue (统一编目): bibliographic records (CNMARC and MARC21), items, import,
de-duplication, export. Other packages use it through ``catalog.public`` only."""

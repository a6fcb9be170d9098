"""SRU 1.2 (Search/Retrieve via URL) for the union catalogue, at GET /sru.

``cql`` parses queries; ``terms`` and ``query`` turn them into SQL over the records' extracted
columns; ``schemas`` renders records as MARCXML, Dublin Core (``dc``) or UNIMARC XML;
``explain`` describes the server (ZeeRex); ``responses`` writes the SRU XML; ``protocol`` answers
one request; ``api`` is the route. Errors are SRU diagnostics (``diagnostics``), never the REST
API's JSON errors.
"""

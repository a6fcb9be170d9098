"""SIP2 (3M Standard Interchange Protocol 2.00) for self-check machines (自助借还机).

- ``codec``: messages as bytes and back (checksums, sequence numbers, UTF-8 or GB18030);
- ``models``, ``accounts``, ``schemas``, ``api``, ``cli``: the machines' accounts;
- ``service`` with ``patron_messages`` and ``item_messages``: one answer per message, each one
  transaction through the same use cases as the desk, as the machine's principal;
- ``server``: the TCP server (``ils sip2 serve``, or inside ``ils serve`` when ILS_SIP2_PORT is set).
"""

"""The web pages: the readers' OPAC, the librarians' desk and the admin pages, rendered on the
server (Jinja2) from the same use cases the REST API calls. Sits on top of every package."""

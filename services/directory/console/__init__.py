"""The admin console: the directory and its pathways, seen and edited in a browser.

Served by the directory at ``/console`` as a sub-application of its own (server-rendered HTML,
Jinja2 templates, the project's own CSS and one small script; nothing from elsewhere). It owns
no data: every page reads and every form writes through the directory's own service functions,
so the console validates exactly as the API does, and every change it makes is audited as the
admin key that signed in.

- ``session``: signed session cookies and CSRF tokens (the key itself is never in the cookie).
- ``forms``: HTML form fields to the API's input shapes, and errors back to the fields.
- ``service``: what each page shows (lists, the capacity board, try a referral, gaps).
- ``picture``: the pathway graph as an inline SVG, laid out in layers.
- ``endpoints``: the pages; ``create_console`` builds the sub-application.
"""

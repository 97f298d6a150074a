"""The one service layer: the GUI and the command line call these, nothing else.

Every function takes the open `App` and the acting, logged-in `Actor`, checks the
actor's role, validates, and writes inside one unit of work that the audit
trail records. Services never touch widgets and never print.
"""

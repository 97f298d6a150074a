"""Account screens: the admin's account management, your own password, signing out."""

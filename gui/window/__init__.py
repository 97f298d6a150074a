"""The main window and what leads to it: sign-in launcher, tabs, File menu dialogs."""

"""The Qt window. It calls only the service layer and holds no rules of its own."""

from gui import pyside_fix

pyside_fix.install()

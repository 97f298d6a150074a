"""pyqtgraph plots of the participant and of the group.

The service layer (services/plot_data.py) prepares every array and every
string; these widgets only draw them. Each plot keeps its items and redraws
with setData, so switching participants costs a few milliseconds.
"""

from gui.plots import none_refcount

none_refcount.install()  # before any plot is drawn: see none_refcount.py

"""pyqtgraph plots of the participant and of the group.

The service layer (services/plot_data.py) prepares every array and every
string; these widgets only draw them. Each plot keeps its items and redraws
with setData, so switching participants costs a few milliseconds.
"""

import pyqtgraph as pg

# pyqtgraph's atexit clean-up deletes graphics items after Qt has begun tearing
# down, which can crash the interpreter on exit; Qt frees them itself.
pg.setConfigOptions(exitCleanup=False)

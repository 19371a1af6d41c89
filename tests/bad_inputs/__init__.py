"""Bad-input catalogue (see :mod:`catalogue`); files are generated at test time."""

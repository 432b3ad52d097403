"""Storage: crash-safe generation records (``records``) and the HDF5 table format (``hdf5``)."""

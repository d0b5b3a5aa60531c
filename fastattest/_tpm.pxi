# TPM 2.0 structures: see _core.pyi

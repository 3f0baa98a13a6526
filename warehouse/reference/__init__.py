"""Reference data (requirement 20): directories, registers and classifiers, versioned, in kk/ru/en."""

"""The product catalogue: product cards and their pack GTINs, owned by participants."""

"""Records as documents: the XML record format (with its XSD) and the PDF on the paper layout."""

"""Accuracy of every linkage against the generator's ground truth (`datalabs evaluate`)."""

"""Tests of the AWS wire layer, through real clients over HTTP."""

"""S3's REST API over the server's object store (see ``docs/s3.md``)."""

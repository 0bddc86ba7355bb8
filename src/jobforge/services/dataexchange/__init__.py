"""AWS Data Exchange on jobforge: resources, jobs that really move the data, signed URLs
(the package as a whole: :mod:`.binding`)."""

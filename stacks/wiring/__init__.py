"""Component arguments from a resolved plan (``stacks/resolve``) and the environment's resources
(Outputs): nothing here checks, reads or declares anything."""

"""Build, configuration and Terraform tooling of the token profiler."""

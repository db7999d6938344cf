"""The hostile-input corpus: a manifest of broken inputs, their builders and a runner."""

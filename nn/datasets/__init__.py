"""kissgrad.nn.datasets: a bundled MNIST sample and a loader for the full MNIST files."""
from .mnist import load_mnist, mnist_sample

__all__ = ["mnist_sample", "load_mnist"]

// Prints the cache key of Instructor's documented example.
print("placeholder")

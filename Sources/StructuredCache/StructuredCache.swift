// The one module users import: the client and its providers here, and the public API of the floors
// below (SHA-256; JSON values, schemas, chat types and keys; the cache adapters).

@_exported public import StructuredCacheCore
@_exported public import StructuredCacheStorage
@_exported public import StructuredCacheSupport

// Computes the cache key of Instructor's documented example and prints it.
//
//     swift run CacheKeyExample

import StructuredCache

let schema: JSONValue = [
    "properties": ["name": ["title": "Name", "type": "string"]],
    "required": ["name"],
    "title": "User",
    "type": "object",
]
let key = makeCacheKey(
    messages: [["role": "user", "content": "hello"]],
    model: "gpt-4.1-mini",
    schema: schema,
    mode: "TOOLS"
)
print(key)  // 2e2a9521bd269d62ee9a8559d7deacba0025c1f6da0ec1fc63d472788be096fe

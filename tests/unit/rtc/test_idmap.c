/* The id -> object table: puts, gets, removals that keep probe runs intact. */
#include "test.h"

#include "sabaq/error.h"
#include "rtc/idmap.h"

TEST(idmap_put_get_remove_many)
{
    enum { N = 5000 };
    static int vals[N];
    struct idmap m;
    ASSERT_EQ(0, idmap_init(&m));
    for (uint32_t i = 0; i < N; i++)
        ASSERT_EQ(0, idmap_put(&m, i * 7919u, &vals[i]));
    ASSERT_EQ(-SQ_EEXIST, idmap_put(&m, 0, &vals[1]));
    ASSERT_EQ(-SQ_EINVAL, idmap_put(&m, 123456789, NULL));
    for (uint32_t i = 0; i < N; i += 3)
        ASSERT(idmap_remove(&m, i * 7919u) == &vals[i]);
    for (uint32_t i = 0; i < N; i++)
        ASSERT(idmap_get(&m, i * 7919u) == (i % 3 ? &vals[i] : NULL));
    ASSERT(idmap_remove(&m, 1) == NULL);
    ASSERT_EQ(N - (N + 2) / 3, m.n);
    idmap_destroy(&m);
}

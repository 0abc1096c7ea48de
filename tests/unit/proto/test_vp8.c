/* VP8 payload descriptor (RFC 7741) with handmade descriptors. */
#include "test.h"

#include <stdlib.h>

#include "sabaq/error.h"
#include "sabaq/vp8.h"

TEST(vp8_minimal_descriptor)
{
    uint8_t buf[8];
    size_t n = test_hex(buf, sizeof buf, "10 01 02 03"); /* S=1 PID=0, inter frame (P=1) */
    struct vp8_descriptor d;

    ASSERT_EQ(0, vp8_descriptor_parse(&d, buf, n));
    ASSERT(d.start_of_partition);
    ASSERT_EQ(0, d.partition_id);
    ASSERT(!d.has_picture_id && !d.has_tl0_pic_idx && !d.has_tid && !d.has_key_idx);
    ASSERT_EQ(1, d.descriptor_len);
    ASSERT(!d.is_keyframe);
    ASSERT_EQ(0, d.width);
}

TEST(vp8_all_extensions_with_15bit_picture_id)
{
    uint8_t buf[16];
    /* X=1 N=1 S=1 PID=2; I L T K; M=1 pid 0x1234; TL0 0x56; TID=2 Y=1 KEYIDX=5 */
    size_t n = test_hex(buf, sizeof buf, "b2 f0 92 34 56 a5 ff");
    struct vp8_descriptor d;

    ASSERT_EQ(0, vp8_descriptor_parse(&d, buf, n));
    ASSERT(d.start_of_partition);
    ASSERT_EQ(2, d.partition_id);
    ASSERT(d.has_picture_id);
    ASSERT(d.picture_id_15bit);
    ASSERT_EQ(0x1234, d.picture_id);
    ASSERT(d.has_tl0_pic_idx);
    ASSERT_EQ(0x56, d.tl0_pic_idx);
    ASSERT(d.has_tid);
    ASSERT_EQ(2, d.tid);
    ASSERT(d.layer_sync);
    ASSERT(d.has_key_idx);
    ASSERT_EQ(5, d.key_idx);
    ASSERT_EQ(6, d.descriptor_len);
    ASSERT(!d.is_keyframe); /* partition 2 */
}

TEST(vp8_7bit_picture_id_and_k_without_t)
{
    uint8_t buf[16];
    size_t n = test_hex(buf, sizeof buf, "80 90 7f 1f 01");
    struct vp8_descriptor d;

    ASSERT_EQ(0, vp8_descriptor_parse(&d, buf, n));
    ASSERT(!d.start_of_partition);
    ASSERT(d.has_picture_id);
    ASSERT(!d.picture_id_15bit);
    ASSERT_EQ(0x7f, d.picture_id);
    ASSERT(!d.has_tl0_pic_idx);
    ASSERT(!d.has_tid);
    ASSERT(d.has_key_idx);
    ASSERT_EQ(31, d.key_idx);
    ASSERT_EQ(4, d.descriptor_len);
}

TEST(vp8_keyframe_gives_dimensions)
{
    uint8_t buf[32];
    /* X S PID=0; I with M: pid 0x0001. Frame tag with P=0, start code,
     * width 640 (0x0280) with scale bits set, height 480 (0x01e0). */
    size_t n = test_hex(buf, sizeof buf, "90 80 80 01  50 42 00 9d 01 2a 80 c2 e0 01 00");
    struct vp8_descriptor d;

    ASSERT_EQ(0, vp8_descriptor_parse(&d, buf, n));
    ASSERT_EQ(4, d.descriptor_len);
    ASSERT(d.is_keyframe);
    ASSERT_EQ(640, d.width);
    ASSERT_EQ(480, d.height);

    /* Key frame bit, but the size is cut off: still a key frame, no size. */
    ASSERT_EQ(0, vp8_descriptor_parse(&d, buf, 12));
    ASSERT(d.is_keyframe);
    ASSERT_EQ(0, d.width);
    ASSERT_EQ(0, d.height);

    /* Not the start of partition 0: not the first packet of a key frame. */
    buf[0] = 0x80;
    ASSERT_EQ(0, vp8_descriptor_parse(&d, buf, n));
    ASSERT(!d.is_keyframe);
    buf[0] = 0x91;
    ASSERT_EQ(0, vp8_descriptor_parse(&d, buf, n));
    ASSERT(!d.is_keyframe);
    /* Inter frame: P bit set. */
    buf[0] = 0x90;
    buf[4] = 0x51;
    ASSERT_EQ(0, vp8_descriptor_parse(&d, buf, n));
    ASSERT(!d.is_keyframe);
    ASSERT_EQ(0, d.width);
}

TEST(vp8_truncated_descriptors_are_rejected)
{
    uint8_t buf[16];
    size_t n = test_hex(buf, sizeof buf, "b2 f0 92 34 56 a5 ff");
    struct vp8_descriptor d;

    for (size_t len = 0; len < n; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, buf, len);
        int rc = vp8_descriptor_parse(&d, copy, len);
        free(copy);
        ASSERT_EQ(-SQ_EMALFORMED, rc);
    }
    ASSERT_EQ(0, vp8_descriptor_parse(&d, buf, n));
}

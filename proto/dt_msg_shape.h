/* dt_msg_shape.h - the shape of every message (PROTOCOL.md), shared by the encoder and the
 * decoder so that what one writes the other accepts. Private to proto/. */
#ifndef DT_MSG_SHAPE_H
#define DT_MSG_SHAPE_H

#include <stdint.h>

#include "dt_msg.h"

/* Elements of the header: version, type, req. */
#define DT_MSG_HEADER_FIELDS 3

#define DT_MSG_TYPE_VALID(t) ((t) >= DT_MSG_HELLO && (t) <= DT_MSG_PURGE_OK)

/* Elements of the composite items. */
#define DT_MSG_TASK_FIELDS          3
#define DT_MSG_WORKER_RESULT_FIELDS 9  /* a result in RESULTS */
#define DT_MSG_CLIENT_RESULT_FIELDS 11 /* a result in PAGE */
#define DT_MSG_STATS_FIELDS         9
#define DT_MSG_WORKER_FIELDS        5

/* Elements after the header of a message of `type`, which must be valid. */
static inline uint32_t dt_msg_shape_fields (int type)
{
    static const uint8_t fields[] = {
        [DT_MSG_HELLO] = 3,    [DT_MSG_WELCOME] = 3,    [DT_MSG_TASKS] = 1,
        [DT_MSG_RESULTS] = 2,  [DT_MSG_HEARTBEAT] = 0,  [DT_MSG_BYE] = 0,
        [DT_MSG_SUBMIT] = 4,   [DT_MSG_SUBMIT_OK] = 4,  [DT_MSG_FETCH] = 5,
        [DT_MSG_PAGE] = 3,     [DT_MSG_STATUS] = 1,     [DT_MSG_STATUS_OK] = 2,
        [DT_MSG_REQUEUE] = 1,  [DT_MSG_REQUEUE_OK] = 1, [DT_MSG_ERROR] = 2,
        [DT_MSG_CANCEL] = 1,   [DT_MSG_CANCEL_OK] = 1,  [DT_MSG_PURGE] = 1,
        [DT_MSG_PURGE_OK] = 1,
    };
    return fields[type];
}

#endif

// A small driver for the virt board's virtio-mmio block device, in both register
// layouts (version 1, legacy; version 2, modern), one request at a time.

#ifndef VIRTIO_H
#define VIRTIO_H

#include "metal.h"

// virtio-mmio registers (offsets from VIRTIO0).
#define VIRTIO_MAGIC 0x000
#define VIRTIO_VERSION 0x004
#define VIRTIO_DEVICE_ID 0x008
#define VIRTIO_VENDOR_ID 0x00c
#define VIRTIO_DEVICE_FEATURES 0x010
#define VIRTIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_DRIVER_FEATURES 0x020
#define VIRTIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_GUEST_PAGE_SIZE 0x028  // legacy
#define VIRTIO_QUEUE_SEL 0x030
#define VIRTIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_QUEUE_NUM 0x038
#define VIRTIO_QUEUE_ALIGN 0x03c  // legacy
#define VIRTIO_QUEUE_PFN 0x040    // legacy
#define VIRTIO_QUEUE_READY 0x044  // modern
#define VIRTIO_QUEUE_NOTIFY 0x050
#define VIRTIO_INTERRUPT_STATUS 0x060
#define VIRTIO_INTERRUPT_ACK 0x064
#define VIRTIO_STATUS 0x070
#define VIRTIO_QUEUE_DESC_LOW 0x080  // modern, and the five after it
#define VIRTIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_CONFIG_GENERATION 0x0fc  // modern
#define VIRTIO_CONFIG 0x100             // virtio-blk: capacity in sectors (64 bits)

#define VREG(off) REG32(VIRTIO0 + (off))

// Device status bits.
#define VSTATUS_ACKNOWLEDGE 1
#define VSTATUS_DRIVER 2
#define VSTATUS_DRIVER_OK 4
#define VSTATUS_FEATURES_OK 8

#define VIRTIO_MAGIC_VALUE 0x74726976  // "virt"
#define VIRTIO_BLK_DEVICE 2
#define VQ_SIZE 8
#define SECTOR 512

int virtio_probe(void);
void virtio_negotiate(int version);
void virtio_queue_setup(int version);
void virtio_driver_ok(void);
void virtio_init(void);
void virtio_submit(uint64 sector, void *buf, int write);
int virtio_finished(void);
int virtio_status(void);
uint32 virtio_used_len(void);
int virtio_rw(uint64 sector, void *buf, int write);

#endif

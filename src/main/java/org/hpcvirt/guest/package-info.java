/**
 * The guest side of hpcvirt as seen from the host: golden images ({@link org.hpcvirt.guest.ImageBuilder},
 * {@link org.hpcvirt.guest.ImageStore}) built from the sources in {@code guest/} (init script, C agent),
 * and the host end of the guest channel ({@link org.hpcvirt.guest.GuestChannel}), a line protocol over a
 * virtio-serial port described in {@code docs/guest-channel.md}. Everything the guest sends is untrusted
 * and goes through {@link org.hpcvirt.guest.ChannelLineParser}. Depends only on {@code api}.
 */
package org.hpcvirt.guest;

package org.hpcvirt.enclave;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.hpcvirt.api.DataSize;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * The host's pool of 2 MiB huge pages as the kernel reports it
 * ({@code /sys/kernel/mm/hugepages/hugepages-2048kB}), and the decision whether an enclave's memory
 * comes from it. Immutable.
 *
 * @param pageBytes the page size
 * @param total     pages in the pool ({@code nr_hugepages})
 * @param free      pages not in use ({@code free_hugepages})
 */
public record HugePagePool(long pageBytes, long total, long free) {
    static final Path DIR = Path.of("/sys/kernel/mm/hugepages/hugepages-2048kB");

    /** The 2 MiB pool now; an empty pool when the host has none. */
    public static HugePagePool twoMiB() {
        try {
            return new HugePagePool(2L << 20, Long.parseLong(Files.readString(DIR.resolve("nr_hugepages")).strip()),
                    Long.parseLong(Files.readString(DIR.resolve("free_hugepages")).strip()));
        } catch (IOException | NumberFormatException e) {
            return new HugePagePool(2L << 20, 0, 0);
        }
    }

    /**
     * The huge page size to back {@code memory} with, or 0 for ordinary pages: {@code no} → 0;
     * {@code yes} → huge pages when the pool has enough free pages and the memory is a whole number
     * of them, else 0; {@code required} → huge pages or an error.
     *
     * @throws HpcvirtException REFUSED for {@code required} when the pool is short, naming how to fill it;
     *                          INVALID_INPUT when the memory is not a multiple of the page size
     */
    public long decide(String enclave, HugePages setting, long memory) {
        if (setting == HugePages.NO) {
            return 0;
        }
        long needed = (memory + pageBytes - 1) / pageBytes;
        if (memory % pageBytes != 0) {
            if (setting == HugePages.REQUIRED) {
                throw HpcvirtException.invalid("enclave '" + enclave + "': memory " + DataSize.format(memory) + " is not a whole number of "
                        + DataSize.format(pageBytes) + " huge pages");
            }
            return 0;
        }
        if (free >= needed) {
            return pageBytes;
        }
        if (setting == HugePages.YES) {
            return 0;
        }
        throw new HpcvirtException(ErrorCode.REFUSED, "enclave '" + enclave + "' requires huge pages: the " + DataSize.format(pageBytes)
                + " pool has " + free + " free page(s) of " + total + ", it needs " + needed + "; fill it as root with 'echo "
                + (total - free + needed) + " > " + DIR.resolve("nr_hugepages") + "' or set hugepages: yes to fall back to ordinary pages");
    }
}

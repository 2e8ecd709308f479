package org.hpcvirt.backend.libvirt;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import javax.xml.parsers.DocumentBuilderFactory;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.DiskSnapshots;
import org.libvirt.DomainSnapshot;
import org.libvirt.LibvirtException;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/**
 * {@link DiskSnapshots} for one domain, through libvirt: a drive is the domain's disk whose alias is
 * {@code ua-DRIVE} (the data disk is {@code ua-data}, see {@link LibvirtDomainXml}); its chain is read
 * from the live domain XML ({@code <source file>} and the nested {@code <backingStore>}s); a snapshot
 * is an external disk-only snapshot without metadata (the domain is transient); flatten is a block
 * pull with a base (virDomainBlockRebase, see {@link LibvirtNative}).
 *
 * <p>While {@link LibvirtCheckpointable} saves the domain, {@link #snapshotDisk} does not act: it
 * records the requested layer, and the save then takes the memory and disk snapshot in one libvirt
 * call, so that both describe the same instant (libvirt stops the vCPUs, writes RAM, switches the
 * disk, then resumes). Not thread-safe per instance, like the SPI: one snapshot or save at a time.
 */
final class LibvirtDiskSnapshots implements DiskSnapshots {
    /** virDomainSnapshotCreateFlags: no metadata (transient domain), disk only, all or nothing. */
    static final int NO_METADATA = 4;
    static final int DISK_ONLY = 16;
    static final int ATOMIC = 128;

    private final LibvirtInstance inst;
    /** During a save: the layer requested per drive target (e.g. {@code vda}), in request order. */
    private java.util.Map<String, Path> deferred;

    LibvirtDiskSnapshots(LibvirtInstance inst) {
        this.inst = inst;
    }

    /** A disk of the live domain XML: its target ({@code vda}) and its layers, top first. */
    record Disk(String target, List<String> chain) {
    }

    /** Starts recording snapshot requests instead of taking them (the save takes them). */
    void deferSnapshots() {
        deferred = new java.util.LinkedHashMap<>();
    }

    /** Stops recording; returns the requests recorded, target → new top. */
    java.util.Map<String, Path> takeDeferred() {
        java.util.Map<String, Path> d = deferred == null ? java.util.Map.of() : deferred;
        deferred = null;
        return d;
    }

    @Override
    public void snapshotDisk(String drive, Path newTop, String nodeName) {
        Disk d = disk(drive);
        if (Files.exists(newTop)) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "new disk layer " + newTop + " exists already");
        }
        if (deferred != null) {
            deferred.put(d.target(), newTop.toAbsolutePath());
            return;
        }
        String xml = "<domainsnapshot><disks>" + diskElement(d.target(), newTop.toAbsolutePath()) + "</disks></domainsnapshot>";
        createSnapshot(xml, NO_METADATA | DISK_ONLY | ATOMIC, "an external snapshot of disk " + drive);
    }

    /** The {@code <disk>} of a snapshot XML making {@code newTop} the new top layer of {@code target}. */
    static String diskElement(String target, Path newTop) {
        return "<disk name='" + LibvirtDomainXml.esc(target) + "' snapshot='external' type='file'><driver type='qcow2'/><source file='"
                + LibvirtDomainXml.esc(newTop.toString()) + "'/></disk>";
    }

    /** virDomainSnapshotCreateXML; the snapshot handle is freed at once (there is no metadata to keep). */
    void createSnapshot(String xml, int flags, String what) {
        try {
            DomainSnapshot s = inst.domain().snapshotCreateXML(xml, flags);
            if (s != null) {
                s.free();
            }
        } catch (LibvirtException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "libvirt cannot take " + what + " of domain " + inst.domainName()
                    + ": " + LibvirtConnection.message(e));
        }
    }

    @Override
    public List<String> chain(String drive) {
        return disk(drive).chain();
    }

    @Override
    public Path topLayer(String drive) {
        return Path.of(disk(drive).chain().get(0));
    }

    /**
     * A block pull with base {@code baseFile}, polled with virDomainGetBlockJobInfo until it is gone,
     * then checked in the domain XML. libvirt records the base under the name it is opened by, so
     * {@code backingName} must be that name; another is refused (virDomainBlockRebase has no
     * parameter for it).
     */
    @Override
    public void flatten(String drive, String baseFile, Path backingName, Duration timeout) {
        Disk d = disk(drive);
        if (!backingName.toString().equals(baseFile)) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "backend 'libvirt' can only flatten disk " + drive + " onto the"
                    + " base by its own name " + baseFile + ", not record it as " + backingName);
        }
        if (!d.chain().contains(baseFile)) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, baseFile + " is not a layer of disk " + drive + " (" + d.chain() + ")");
        }
        String uuid = uuid();
        LibvirtNative.blockPull(inst.domain().getConnect(), uuid, d.target(), baseFile);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (LibvirtNative.blockJob(inst.domain().getConnect(), uuid, d.target()) != null) {
            if (System.nanoTime() > deadline) {
                LibvirtNative.abortBlockJob(inst.domain().getConnect(), uuid, d.target());
                throw new HpcvirtException(ErrorCode.TIMEOUT, "pulling disk " + drive + " of domain " + inst.domainName()
                        + " took longer than " + timeout.toSeconds() + " s");
            }
            LockSupport.parkNanos(5_000_000L);
        }
        List<String> after = disk(drive).chain();
        if (after.size() != 2 || !after.get(1).equals(baseFile)) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "the block pull of disk " + drive + " of domain "
                    + inst.domainName() + " ended with the chain " + after + ", not top ← " + baseFile);
        }
    }

    private String uuid() {
        try {
            return inst.domain().getUUIDString();
        } catch (LibvirtException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "libvirt does not answer for domain " + inst.domainName() + ": "
                    + LibvirtConnection.message(e));
        }
    }

    /** The targets of all the domain's disks ({@code vda}, …): a memory snapshot must say for each whether it is snapshotted. */
    List<String> targets() {
        List<String> out = new ArrayList<>();
        NodeList disks = parse(liveXml()).getElementsByTagName("disk");
        for (int i = 0; i < disks.getLength(); i++) {
            Element target = child((Element) disks.item(i), "target");
            if (target != null) {
                out.add(target.getAttribute("dev"));
            }
        }
        return out;
    }

    private String liveXml() {
        try {
            return inst.domain().getXMLDesc(0);
        } catch (LibvirtException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "libvirt cannot describe domain " + inst.domainName() + ": "
                    + LibvirtConnection.message(e));
        }
    }

    /** The drive as the live domain XML describes it. */
    Disk disk(String drive) {
        Disk d = diskOf(liveXml(), drive);
        if (d == null) {
            throw new HpcvirtException(ErrorCode.NOT_FOUND, "drive '" + drive + "' not found in libvirt domain " + inst.domainName());
        }
        return d;
    }

    /** The disk with alias {@code ua-DRIVE} in a domain XML, or null. Pure, for tests. */
    static Disk diskOf(String domainXml, String drive) {
        Element root = parse(domainXml);
        NodeList disks = root.getElementsByTagName("disk");
        for (int i = 0; i < disks.getLength(); i++) {
            Element disk = (Element) disks.item(i);
            Element alias = child(disk, "alias");
            if (alias == null || !("ua-" + drive).equals(alias.getAttribute("name"))) {
                continue;
            }
            Element target = child(disk, "target");
            List<String> chain = new ArrayList<>();
            for (Element layer = disk; layer != null; layer = child(layer, "backingStore")) {
                Element src = child(layer, "source");
                if (src == null || src.getAttribute("file").isEmpty()) {
                    break;
                }
                chain.add(src.getAttribute("file"));
            }
            if (target == null || chain.isEmpty()) {
                return null;
            }
            return new Disk(target.getAttribute("dev"), List.copyOf(chain));
        }
        return null;
    }

    static Element parse(String xml) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            return f.newDocumentBuilder().parse(new InputSource(new StringReader(xml))).getDocumentElement();
        } catch (Exception e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "libvirt sent a domain XML that does not parse: " + e.getMessage());
        }
    }

    /** The first child element named {@code name}, or null. */
    static Element child(Element e, String name) {
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && c.getTagName().equals(name)) {
                return c;
            }
        }
        return null;
    }
}

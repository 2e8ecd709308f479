package org.hpcvirt.backend.libvirt;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Path;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.backend.qemu.QemuCommandLine;
import org.libvirt.Connect;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Restoring a domain from a state file that {@link LibvirtCheckpointable} wrote (libvirt's
 * save-image format). The file embeds the domain XML of save time, which names that time's disk
 * layer (frozen since) and run directory; the restore passes virDomainRestoreFlags a copy of it
 * with the {@link LaunchSpec}'s data disk (a new overlay on the frozen layers) and run directory
 * files instead. libvirt requires the restored domain to keep the name and UUID it was saved with
 * (its ABI check refuses others), so a restore under another VM name still runs as the saved
 * domain name, and fails while a domain of that name runs on the same libvirtd. Stateless.
 */
final class LibvirtRestore {
    private LibvirtRestore() {
    }

    /** The saved domain's name (read from the state file). */
    static String savedName(Connect c, Path incoming) {
        String xml;
        try {
            xml = LibvirtNative.saveImageXml(c, incoming.toAbsolutePath().toString());
        } catch (HpcvirtException e) {
            throw new HpcvirtException(ErrorCode.REFUSED, "state file " + incoming + " is not one backend 'libvirt' wrote (a checkpoint"
                    + " is restored by the backend that took it): " + e.getMessage());
        }
        Element root = LibvirtDiskSnapshots.parse(xml);
        Element name = LibvirtDiskSnapshots.child(root, "name");
        if (name == null || name.getTextContent().isBlank()) {
            throw new HpcvirtException(ErrorCode.REFUSED, "state file " + incoming + " holds a domain without a name");
        }
        return name.getTextContent().strip();
    }

    /**
     * Checks the state file's SHA-256 if the spec has one (REFUSED on a mismatch, before anything
     * runs), then restores it with {@link #retarget}ed XML, paused if the spec says so.
     */
    static void restore(Connect c, LaunchSpec spec, String domainName) {
        Path in = spec.incoming().toAbsolutePath();
        if (spec.incomingSha256() != null) {
            String sha;
            try {
                sha = LibvirtCheckpointable.sha256(in);
            } catch (IOException e) {
                throw new HpcvirtException(ErrorCode.NOT_FOUND, "cannot read state file " + in + ": " + e.getMessage());
            }
            if (!sha.equalsIgnoreCase(spec.incomingSha256())) {
                throw new HpcvirtException(ErrorCode.REFUSED, "state file " + in + " has SHA-256 " + sha + ", expected "
                        + spec.incomingSha256());
            }
        }
        String dxml = retarget(LibvirtNative.saveImageXml(c, in.toString()), spec);
        try {
            LibvirtNative.restore(c, in.toString(), dxml, spec.startPaused());
        } catch (HpcvirtException e) {
            String hint = "";
            try {
                c.domainLookupByName(domainName);
                hint = " (a restored libvirt domain keeps the name it was saved with, and domain " + domainName
                        + " runs: stop it first)";
            } catch (org.libvirt.LibvirtException notThere) {
                // no clash: libvirt's reason stands alone
            }
            throw new HpcvirtException(e.code(), e.getMessage() + hint);
        }
    }

    /**
     * The saved domain XML with the spec's files: the data disk's source (alias {@code ua-data})
     * becomes {@code spec.dataDisk()} with its backing chain left for libvirt to read, and the agent
     * socket, console log and gdbstub socket move into the spec's run directory. Pure, for tests.
     *
     * @throws HpcvirtException INVALID_INPUT if the saved domain has a data disk and the spec none, or the reverse
     */
    static String retarget(String savedXml, LaunchSpec spec) {
        Element root = LibvirtDiskSnapshots.parse(savedXml);
        Path run = spec.runDir().toAbsolutePath();
        Element devices = LibvirtDiskSnapshots.child(root, "devices");
        if (devices == null) {
            throw new HpcvirtException(ErrorCode.REFUSED, "the saved domain XML has no devices");
        }
        boolean diskSeen = false;
        NodeList disks = devices.getElementsByTagName("disk");
        for (int i = 0; i < disks.getLength(); i++) {
            Element disk = (Element) disks.item(i);
            Element alias = LibvirtDiskSnapshots.child(disk, "alias");
            if (alias == null || !"ua-data".equals(alias.getAttribute("name"))) {
                continue;
            }
            if (spec.dataDisk() == null) {
                throw HpcvirtException.invalid("the saved domain has a data disk and the restored VM none");
            }
            diskSeen = true;
            Element src = LibvirtDiskSnapshots.child(disk, "source");
            src.setAttribute("file", spec.dataDisk().toAbsolutePath().toString());
            src.removeAttribute("index");
            for (Element b; (b = LibvirtDiskSnapshots.child(disk, "backingStore")) != null; ) {
                disk.removeChild(b);
            }
        }
        if (!diskSeen && spec.dataDisk() != null) {
            throw HpcvirtException.invalid("the restored VM has a data disk and the saved domain none");
        }
        for (String kind : new String[] {"serial", "console"}) {
            NodeList l = devices.getElementsByTagName(kind);
            for (int i = 0; i < l.getLength(); i++) {
                Element src = LibvirtDiskSnapshots.child((Element) l.item(i), "source");
                if (src != null && src.hasAttribute("path")) {
                    src.setAttribute("path", run.resolve(QemuCommandLine.CONSOLE_LOG).toString());
                }
            }
        }
        NodeList channels = devices.getElementsByTagName("channel");
        for (int i = 0; i < channels.getLength(); i++) {
            Element ch = (Element) channels.item(i);
            Element target = LibvirtDiskSnapshots.child(ch, "target");
            Element src = LibvirtDiskSnapshots.child(ch, "source");
            if (src != null && target != null && QemuCommandLine.AGENT_PORT.equals(target.getAttribute("name"))) {
                src.setAttribute("path", run.resolve(QemuCommandLine.AGENT_SOCKET).toString());
            }
        }
        NodeList args = root.getElementsByTagName("qemu:arg");
        for (int i = 0; i < args.getLength(); i++) {
            Element a = (Element) args.item(i);
            String v = a.getAttribute("value");
            if (v.startsWith("socket,id=gdb0,path=")) {
                a.setAttribute("value", v.replaceFirst("path=[^,]*", java.util.regex.Matcher.quoteReplacement("path=" + run.resolve(QemuCommandLine.GDB_SOCKET))));
            }
        }
        try {
            var t = TransformerFactory.newInstance().newTransformer();
            t.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            StringWriter w = new StringWriter();
            t.transform(new DOMSource(root), new StreamResult(w));
            return w.toString();
        } catch (javax.xml.transform.TransformerException e) {
            throw new IllegalStateException("cannot write a domain XML", e);
        }
    }
}

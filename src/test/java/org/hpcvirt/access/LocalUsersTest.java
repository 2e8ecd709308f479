package org.hpcvirt.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.hpcvirt.api.Access;
import org.hpcvirt.api.Caller;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;

class LocalUsersTest {
    @Test
    void idOutputGivesUidAndEveryGroup() {
        LocalUsers.Account a = LocalUsers.parse("uid=1001(alice) gid=1001(alice) groups=1001(alice),27(sudo),1500(hpcvirt-admin)\n");
        assertThat(a.name()).isEqualTo("alice");
        assertThat(a.uid()).isEqualTo(1001);
        assertThat(a.groups()).containsExactlyInAnyOrder("alice", "sudo", "hpcvirt-admin");
        assertThat(LocalUsers.parse("id: 'x': no such user")).isNull();
    }

    @Test
    void rootIsAnAdministratorAndAnUnknownOrMalformedNameIsRefused() {
        LocalUsers users = new LocalUsers("no-such-group-here");
        Caller root = users.caller("root");
        assertThat(root).isEqualTo(new Caller("root", 0, Access.ADMIN, true));
        Caller nobody = users.caller("nobody");
        assertThat(nobody.scope()).isEqualTo(Access.OPERATE);
        assertThat(nobody.anyOwner()).isFalse();
        assertThat(nobody.uid()).isEqualTo(65534);
        assertThatThrownBy(() -> users.caller("no-such-user-hv"))
                .isInstanceOfSatisfying(HpcvirtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHORIZED))
                .hasMessageContaining("does not know");
        assertThatThrownBy(() -> users.caller("-rf")).hasMessageContaining("is not a user name");
        // an owner an administrator names must exist
        assertThat(users.existing("nobody")).isEqualTo("nobody");
        assertThatThrownBy(() -> users.existing("no-such-user-hv"))
                .isInstanceOfSatisfying(HpcvirtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_INPUT))
                .hasMessage("owner: this node has no user 'no-such-user-hv'");
    }
}

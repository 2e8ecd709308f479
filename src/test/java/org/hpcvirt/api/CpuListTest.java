package org.hpcvirt.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CpuListTest {
    @Test
    void rangesAndSinglesExpandInTheOrderWritten() {
        assertThat(CpuList.parse("0-3,5\n")).containsExactly(0, 1, 2, 3, 5);
        assertThat(CpuList.parse(" 7 ")).containsExactly(7);
        assertThat(CpuList.parse("4,1-2")).containsExactly(4, 1, 2);
    }

    @Test
    void anEmptyListIsNoCpu() {
        assertThat(CpuList.parse("")).isEmpty();
        assertThat(CpuList.parse("\n")).isEmpty();
    }

    @Test
    void malformedListsAreRefusedNamingTheText() {
        for (String bad : new String[] {"a", "1-", "-1", "1,,2", "1-2-3", "1;2", "0x1", "123456"}) {
            assertThatThrownBy(() -> CpuList.parse(bad)).as(bad).isInstanceOfSatisfying(HpcvirtException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_INPUT)).hasMessageContaining("'" + bad + "'");
        }
        assertThatThrownBy(() -> CpuList.parse("3-1")).hasMessageContaining("backwards");
        assertThatThrownBy(() -> CpuList.parse(null)).isInstanceOf(HpcvirtException.class);
    }
}

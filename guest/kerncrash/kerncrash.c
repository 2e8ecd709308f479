// SPDX-License-Identifier: GPL-2.0
/*
 * kerncrash: crashes or hangs the guest kernel on purpose, for hpcvirt's E-Zone 3
 * fault-injection campaigns. It reproduces the published experiment: after `delay`
 * seconds a kernel timer divides by zero, which kills the (guest) kernel.
 *
 * NEVER load this module on a host. hpcvirt ships it only inside guest images.
 *
 * Parameters:
 *   delay=N   seconds before the fault fires (0..3600, default 5)
 *   mode=M    divzero (default): integer division by zero in timer (softirq) context
 *             null:    write through a NULL pointer in timer context (oops)
 *             lockup:  spin forever with interrupts disabled (the guest hangs; no panic)
 */
#include <linux/init.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/timer.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("hpcvirt");
MODULE_DESCRIPTION("Guest-kernel fault injection for E-Zone 3 campaigns (divide by zero, NULL dereference, lockup)");

static int delay = 5;
module_param(delay, int, 0444);
MODULE_PARM_DESC(delay, "seconds before the fault fires (0..3600)");

static char *mode = "divzero";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "divzero | null | lockup");

enum kc_mode { KC_DIVZERO, KC_NULL, KC_LOCKUP };

static enum kc_mode kc_mode;
static struct timer_list kc_timer;
/*
 * volatile: the compiler must not see that these are zero / NULL and fold the fault away. The dividend
 * is volatile too: with a constant 1, gcc computes 1/x with compares instead of a division.
 */
static volatile int kc_one = 1;
static volatile int kc_zero;
static int *volatile kc_null;
static volatile int kc_sink;

static void kc_fire(struct timer_list *t)
{
	switch (kc_mode) {
	case KC_DIVZERO:
		pr_emerg("kerncrash: dividing by zero now\n");
		kc_sink = kc_one / kc_zero;
		break;
	case KC_NULL:
		pr_emerg("kerncrash: dereferencing NULL now\n");
		*kc_null = 1;
		break;
	case KC_LOCKUP:
		pr_emerg("kerncrash: spinning with interrupts disabled now\n");
		local_irq_disable();
		for (;;)
			cpu_relax();
	}
}

static int __init kc_init(void)
{
	if (delay < 0 || delay > 3600) {
		pr_err("kerncrash: delay must be 0..3600, not %d\n", delay);
		return -EINVAL;
	}
	if (!strcmp(mode, "divzero")) {
		kc_mode = KC_DIVZERO;
	} else if (!strcmp(mode, "null")) {
		kc_mode = KC_NULL;
	} else if (!strcmp(mode, "lockup")) {
		kc_mode = KC_LOCKUP;
	} else {
		pr_err("kerncrash: unknown mode '%s' (divzero, null, lockup)\n", mode);
		return -EINVAL;
	}
	timer_setup(&kc_timer, kc_fire, 0);
	mod_timer(&kc_timer, jiffies + (unsigned long)delay * HZ);
	pr_info("kerncrash: armed, mode=%s delay=%ds\n", mode, delay);
	return 0;
}

static void __exit kc_exit(void)
{
	del_timer_sync(&kc_timer);
	pr_info("kerncrash: disarmed\n");
}

module_init(kc_init);
module_exit(kc_exit);

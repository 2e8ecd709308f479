/**
 * Fault-injection campaigns: a YAML {@link org.hpcvirt.inject.campaign.CampaignSpec}, the in-process
 * {@link org.hpcvirt.inject.campaign.CampaignRunner} (snapshot reset between runs, bystander VMs,
 * observers, host health), the {@link org.hpcvirt.inject.campaign.Classifier} that labels runs and
 * {@link org.hpcvirt.inject.campaign.CampaignReport} (JSON, CSV, Markdown, PNG).
 */
package org.hpcvirt.inject.campaign;

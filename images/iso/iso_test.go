package iso

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/testimage"
	"github.com/ros-os/ros/internal/testutil/need"
)

// The medium holds the slot image and the signed OS image under the
// volume ID the initramfs looks for; its El Torito EFI image and GPT ESP
// hold systemd-boot and the live entry with the image's command line; the
// OS image on it verifies against the key it was signed with.
func TestBuild(t *testing.T) {
	xorriso := need.Tool(t, "xorriso")
	need.Tool(t, "mkfs.fat")
	need.Tool(t, "mcopy")
	ref, _ := testimage.Layout(t, testimage.New(t, "1.2.3", "amd64", 256), "1.2.3")
	cc := filepath.Join(t.TempDir(), "cc.yml")
	if err := os.WriteFile(cc, []byte("#cloud-config\nhostname: live\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "ros.iso")
	rep, err := Build(Options{Image: ref, Out: out, Append: "ros.install.device=/dev/vda", CloudConfig: cc})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Version != "1.2.3" || rep.Size == 0 {
		t.Errorf("report %+v", rep)
	}
	report, err := exec.Command(xorriso, "-indev", out, "-report_el_torito", "plain", "-find", "/", "-type", "f").CombinedOutput()
	if err != nil {
		t.Fatalf("xorriso: %v\n%s", err, report)
	}
	for _, want := range []string{"Volume id    : '" + contract.LiveVolume + "'", "El Torito boot img :   1  UEFI",
		"/" + contract.LiveRootfs, "/" + contract.LiveImage + "/index.json", "/" + contract.LiveCloudConfig} {
		if !strings.Contains(string(report), want) {
			t.Errorf("the ISO lacks %q:\n%s", want, report)
		}
	}
	// The boot image, as the firmware reads it: extract it and list it.
	boot := filepath.Join(t.TempDir(), "efiboot.img")
	if b, err := exec.Command(xorriso, "-osirrox", "on", "-indev", out, "-extract_boot_images", filepath.Dir(boot)).CombinedOutput(); err != nil {
		t.Fatalf("xorriso -extract_boot_images: %v\n%s", err, b)
	}
	// The CD's El Torito image and the stick's ESP are the same bytes.
	imgs := []string{filepath.Join(filepath.Dir(boot), "eltorito_img1_uefi.img"), filepath.Join(filepath.Dir(boot), "gpt_part2_efi.img")}
	cd, err1 := os.ReadFile(imgs[0])
	esp, err2 := os.ReadFile(imgs[1])
	if err1 != nil || err2 != nil || string(cd) != string(esp) {
		t.Fatalf("the El Torito image and GPT partition 2 differ or are missing: %v, %v", err1, err2)
	}
	entry, err := exec.Command("mtype", "-i", imgs[0], "::/loader/entries/"+entryName).CombinedOutput()
	if err != nil {
		t.Fatalf("mtype: %v\n%s", err, entry)
	}
	for _, want := range []string{"linux    /ros/live/vmlinuz", "console=ttyS0", contract.LiveArg, "ros.autologin",
		"ros.install.device=/dev/vda", "ros.cloud_config=" + filepath.Join(contract.LiveMedium, contract.LiveCloudConfig)} {
		if !strings.Contains(string(entry), want) {
			t.Errorf("the live entry lacks %q:\n%s", want, entry)
		}
	}
	if b, err := exec.Command("mdir", "-b", "-i", imgs[0], "::/EFI/BOOT").CombinedOutput(); err != nil || !strings.Contains(string(b), "BOOTX64.EFI") {
		t.Errorf("the boot image has no EFI/BOOT/BOOTX64.EFI: %v\n%s", err, b)
	}
	// The OS image on the medium is the one given, with its signature.
	medium := filepath.Join(t.TempDir(), "oci")
	if b, err := exec.Command(xorriso, "-osirrox", "on", "-indev", out, "-extract", "/"+contract.LiveImage, medium).CombinedOutput(); err != nil {
		t.Fatalf("xorriso -extract: %v\n%s", err, b)
	}
	img, err := artifact.Open("oci-layout:" + medium + ":1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testimage.Trust(t).Check("oci-layout:"+medium+":1.2.3", img); err != nil {
		t.Errorf("the medium's image does not verify: %v", err)
	}
}

// An unsigned image makes no medium, and a bad cloud-config none either.
func TestBuildRefuses(t *testing.T) {
	need.Tool(t, "xorriso")
	img := testimage.New(t, "1.2.3", "amd64", 64)
	dir := filepath.Join(t.TempDir(), "oci")
	if err := artifact.WriteLayout(dir, img, "1.2.3"); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "ros.iso")
	if _, err := Build(Options{Image: "oci-layout:" + dir + ":1.2.3", Out: out}); err == nil || !strings.Contains(err.Error(), "is not signed: sign it first") {
		t.Errorf("unsigned: %v", err)
	}
	ref, _ := testimage.Layout(t, img, "1.2.3")
	cc := filepath.Join(t.TempDir(), "cc.yml")
	if err := os.WriteFile(cc, []byte("#cloud-config\nhostname: [broken\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(Options{Image: ref, Out: out, CloudConfig: cc}); err == nil {
		t.Error("a broken cloud-config made a medium")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused build left %s", out)
	}
}

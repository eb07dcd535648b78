# Homebrew formula for cmdai: a Python virtualenv formula. Its sources are the release's own
# files on GitHub: the sdist, and a wheelhouse per Mac architecture holding every dependency
# (built by the release workflow on that architecture, so nothing compiles on install and
# pip never leaves the wheelhouse). The version, URLs and sha256 values below are written by
# scripts/update_formula.py in the release workflow from the files it publishes. Until then
# every sha256 here is zeros, which no download matches: an unreleased formula cannot install
# anything unverified.
class Cmdai < Formula
  include Language::Python::Virtualenv

  desc "Turn plain English into a shell command, right in your prompt"
  homepage "https://github.com/cmdai-dev/cmdai"
  url "https://github.com/cmdai-dev/cmdai/releases/download/v0.1.0/cmdai-0.1.0.tar.gz"
  sha256 "0000000000000000000000000000000000000000000000000000000000000000"
  license "MIT"

  depends_on :macos
  depends_on "python@3.12"

  on_arm do
    resource "wheelhouse" do
      url "https://github.com/cmdai-dev/cmdai/releases/download/v0.1.0/cmdai-0.1.0-wheelhouse-macos-arm64.tar.gz"
      sha256 "0000000000000000000000000000000000000000000000000000000000000000"
    end
  end

  on_intel do
    resource "wheelhouse" do
      url "https://github.com/cmdai-dev/cmdai/releases/download/v0.1.0/cmdai-0.1.0-wheelhouse-macos-x86_64.tar.gz"
      sha256 "0000000000000000000000000000000000000000000000000000000000000000"
    end
  end

  def install
    venv = virtualenv_create(libexec, "python3.12")
    resource("wheelhouse").stage(buildpath/"wheelhouse")
    extras = Hardware::CPU.arm? ? "[mlx]" : "" # MLX runs on Apple Silicon only
    system "python3.12", "-m", "pip", "--python=#{venv.root}/bin/python", "install",
           "--no-index", "--find-links=#{buildpath}/wheelhouse", "--no-cache-dir", "#{buildpath}#{extras}"
    bin.install_symlink libexec/"bin/cmdai"
  end

  def caveats
    <<~EOS
      Load the Ctrl-G widget in your shell (one line in its start-up file):
        zsh:  eval "$(cmdai init zsh)"           in ~/.zshrc
        bash: eval "$(cmdai init bash)"          in ~/.bash_profile (bash 4 or newer)
        fish: cmdai init fish | source           in ~/.config/fish/config.fish
      The first request downloads the model (about 1 GB); `cmdai doctor` checks the setup.
    EOS
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/cmdai --version")
    assert_match "cmdai-generate", shell_output("#{bin}/cmdai init zsh")
    system bin/"cmdai", "config"
  end
end
